"""Unit indicators: rules whose subject is an organizational unit, measured as a whole against chance.

staff.py finds who served in each unit at the date or in the period; surnames.py reads the surname (or
patronymic) stem each person carries; null.py is the permutation null of same-surname pairs and of groups
of relatives (the families kept); kin_groups.py finds groups of close relatives among a unit's staff;
methods/ holds one module per method (same_surname_pairs, close_kin_group), each with its settings, its
test and its words; compile.py reads a rule's settings with its method's model; evaluate.py turns a unit's
figures into a finding.
A unit finding is a lead about a body, never an accusation of a person.
"""
