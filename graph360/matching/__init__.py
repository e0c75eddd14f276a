"""Probabilistic matching: records of one person that share no identifier, found by Splink.

The deterministic rules (``graph360.ingest.identity``) link records that share a source id, an
e-mail or a phone. Records of one person that share none of these (the CRM has a phone, the shop
an e-mail, the support desk a name and postcode; or the same name with a typo) never meet there.
This package compares them by what they say about the person: the name (typos, first and last
swapped, nicknames from the ``nicknames`` package's hand-curated list), birth date, address,
postcode and city, with Splink 5 on DuckDB (the field's reference library: Fellegi-Sunter
weights trained without labels by expectation maximisation, with term-frequency adjustments, so
a shared rare surname weighs more than a shared "Smith").

How one run goes (``match``):

1. **Records.** Every source record with its customer (named queries ``match_records*``): the
   name, address and postcode as the record typed them; birth date and city from its customer
   (the record does not keep them).
2. **Features** (DuckDB SQL, column-wise): names lower-cased, accents and titles dropped, split
   into first and last; the first name's canonical forms (``bill`` -> ``william``); postcodes
   without spaces; addresses without punctuation.
3. **Model.** Trained on these records unless one is stored: u from random pairs, m by EM on
   two blocks (same full name; same birth date), the prior from exact name-and-birth-date
   pairs. The trained model (Splink's JSON) and its term-frequency tables are kept in the store
   (``MatchModel``), so later records are scored by the same weights.
4. **Pairs.** Only pairs that share a blocking key are compared (``BLOCKING``: each key is
   narrow enough that 1,000,000 records give tens of millions of pairs, not 10^12, and together
   they still meet a record whose name, date or postcode has a typo). A pair of records already
   of one customer, or marked never-merge, is left out.
5. **Decision.** A pair at or above ``auto`` merges the two customers; between ``review`` and
   ``auto`` it goes to the review queue (``ReviewPair`` nodes); below ``review`` it is dropped.
   Each decision keeps the probability and every field's match weight (the evidence).

**Incremental.** Records loaded after the last run (``SourceRecord.loaded_at`` past the model's
``matched_at``) are matched against the stored ones: their blocking keys are looked up by key
(``MatchKey`` nodes, one per distinct key value, written by every run for the records it saw),
so the stored records compared are only those that share a key with a new one, and the cost
follows the new records, not the graph.
"""
