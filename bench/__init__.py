"""`python -m bench [--scale N]`: seed a city-scale dataset into PostgreSQL and measure the app on it.

See bench/__main__.py for the order of work and bench/README.md for what is measured and why.
"""
