"""akhbar: answers about Arabic news articles, with every claim cited."""
