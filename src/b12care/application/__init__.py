"""Use cases: parse a case, choose pack and overlay, build the plan, explain a rule."""
