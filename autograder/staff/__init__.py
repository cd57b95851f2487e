"""Staff's side of a semester: grade a whole Gradescope export at once (see grade_export)."""
