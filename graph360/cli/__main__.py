from graph360.cli import app

app()
