"""Example reports on real published data (Berlin MSS 2021, Flensburg Sozialatlas 2022)."""
