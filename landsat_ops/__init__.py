"""landsat_ops: render Landsat 8 scenes into true colour, false colour, NDVI and histograms.

The package is the product's core. It runs alone inside the render container and never
imports Airflow; the Airflow DAGs and plugins call it.
"""

__version__ = "0.2.0"
