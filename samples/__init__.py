"""The sample district generator (平房区) and the bundled demo sample."""
