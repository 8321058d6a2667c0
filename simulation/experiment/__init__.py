"""The experiment machinery: single runs, scenario files, sweeps, sensitivity analysis and their figures."""
