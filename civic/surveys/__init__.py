"""Citizens' policy surveys: templates, rounds, responses, results and exports."""
