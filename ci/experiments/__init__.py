"""Chaos experiments (Chaos Toolkit's JSON format, one file each) and the Python they call.

`probes` and `actions` are the experiments' own activities, `load` the load kept on the app
while a fault is on, `timeline` and `journal` the plain decisions (what the load saw, whether a
run passed), `runner` the `chaos run` command for one experiment and the pipeline's driver.
See README.md beside this file.
"""
