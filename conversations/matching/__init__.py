"""Matching mentors and actors: hard rules, an explained score, and the best set of pairs.

``model`` holds the plain participants, ``rules`` the hard rules no score overrides, ``score``
the parts of a pair's score, ``solver`` the assignment over everyone at once, ``reasons`` the
plain words of both, and ``load`` reads a programme's participants from the database.
"""
