"""Reading, cleaning, splitting, embedding and storing articles (the index)."""
