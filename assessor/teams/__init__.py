"""Teams and the roles people hold in them."""
