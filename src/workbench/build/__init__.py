"""Building the report: notebook engine (papermill, warm kernels), chapters, profiles, index page."""
