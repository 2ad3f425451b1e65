"""corral.plugins: the pluggy plugins shipped with corral (audit, policy)."""
