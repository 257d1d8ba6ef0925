"""The residents' participation board: posts, discussion, answers, moderation, codes, datasets."""
