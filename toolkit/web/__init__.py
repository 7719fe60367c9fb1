"""`esep serve`: the self-check page, the JSON API and intake mode (the `serve` extra).

toolkit.web.app needs the web stack (pip install 'esep[serve]'); jobs, intake, texts and pages do not.
"""
