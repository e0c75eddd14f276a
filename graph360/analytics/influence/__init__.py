"""Influence: who holds sway over whom (weighted PageRank), how far they reach, and their circle.

The measures (DESIGN.md §3, with the refinements written here):

**Graph.** Every customer is a node, related or not. Each RELATED relationship of a chosen kind
is an edge that points *towards the person who holds the influence*: ``follows`` from follower
to followed and ``referred`` from the referred person to the referrer, which is exactly how
relationships.csv and the RELATED relationship store them; ``knows``, ``household`` and
``colleague`` count both ways. The edge weight is the relationship's ``weight``, 1 when it is
empty; an edge with a weight of 0 or below carries no influence and is left out. Parallel
relationships between the same two people (a referral and a follow, say) add their weights.
Self-loops are left out.

**PageRank** (score): the stationary distribution of a surfer who, with probability
``damping`` = 0.85, follows one of the current person's out-edges chosen in proportion to its
weight, and otherwise jumps to a customer chosen uniformly. A person with no out-edge (a
*dangling* node) jumps uniformly (the standard treatment, networkx's too). Scores sum to 1.
Power iteration from the uniform vector stops when the L1 norm of the change between two
iterates falls below an **absolute** tolerance, 1e-10 by default, or after ``max_iterations``
(200). Why absolute: the vector always sums to 1, so its L1 change is a statement about the
whole distribution whatever the number of customers; the error left after stopping is at most
``tol * damping / (1 - damping)`` (< 6e-10) in total. At a million customers the smallest
possible score is ``(1 - damping) / N`` = 1.5e-7, so even if all the remaining error sat on one
person it would be under 0.4% of the smallest score. networkx's default, ``N * 1e-6``, allows
a total change of 1 at a million nodes — the size of the whole vector — and stops after one
iteration. At damping 0.85 the change shrinks at least 15% per iteration, so 1e-10 is reached
within ~150 iterations in the worst case and far fewer on real graphs.

**Rank**: 1 for the highest score; equal scores are ordered by customer id (deterministic).

**Reach**: the number of distinct customers within two hops of the person, following the
chosen kinds in either direction, the person excluded: the size of the union of ``N(v)`` and
``N(N(v))``, less one when ``v`` has any neighbour. Computed from a boolean adjacency matrix
as the non-zeros per row of ``A + A A``, in row blocks bounded by the number of paths they
expand, so memory stays bounded at a million customers. A person with very many neighbours (a
hub: the top influencer has tens of thousands of followers at that size) would make ``A A``
copy their whole neighbourhood into every neighbour's row, which is quadratic; so hubs are
taken out of the product and their neighbourhoods kept as bitsets, and the two parts are
combined exactly (see :func:`two_hop_reach`).

**Community**: a partition of the undirected weighted graph of the chosen kinds (each
relationship's weight, once per relationship) found by the Leiden algorithm maximising Newman's
modularity (igraph's ``community_leiden``, in C; Leiden refines Louvain so every community is
connected), iterated until an iteration changes nothing. Its modularity is reported with it.
It replaced a hand-written vectorised Louvain that took 17.8 s at a million people and stopped
at a round cap (docs/DECISIONS.md, "The facts projection"). Ids are 1, 2, … by size, largest
first, ties by smallest customer id; a person related to nobody is a community of one. The
same graph and seed always give the same ids.

Results are stored on the Customer nodes (pagerank, influence_rank, reach, community,
influence_at) with one bulk statement by key (``influence_store``), so the 360 card and the
views read them without recomputing.

The inputs come from the facts projection (:mod:`graph360.facts`: the customers' ids and the
RELATED pairs as integer codes) unless ``use_facts`` is false, when the ``influence_*`` named
queries read them from the store (the direct path the property tests compare it with).
"""
