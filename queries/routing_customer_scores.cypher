// The value scores `graph360 value` stored on customers (customers never scored are left out):
// the input of the at-risk (amber) and VIP-candidate (green) rules.
// params: none
// returns: one row per scored customer: customer_id, current_value, potential_value, at_risk,
//          value_at
MATCH (c:Customer)
WHERE c.value_at IS NOT NULL
RETURN c.customer_id AS customer_id, c.current_value AS current_value,
       c.potential_value AS potential_value, c.at_risk AS at_risk, c.value_at AS value_at
