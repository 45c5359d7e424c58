"""Model weights the project trains and ships (package data, so an installed clinrag finds them too)."""
