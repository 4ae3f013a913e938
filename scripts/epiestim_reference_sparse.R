# Writes EpiEstim's Rt for a sparse series that starts with empty days, which
# tests/analytics/test_rt.py uses to show where our estimate_rt deliberately differs: windows
# that no earlier case can explain (overall infectivity 0) get EpiEstim's prior-driven numbers,
# and we leave them out; every other window must match to 1e-6.
# Run with Debian's EpiEstim (apt-get install r-cran-epiestim):
#   Rscript scripts/epiestim_reference_sparse.R tests/analytics/data
# Serial interval: COVID-19, mean 4.7 days, sd 2.9 days (Nishiura et al. 2020; analytics/rules.py).
suppressMessages(library(EpiEstim))
out <- commandArgs(trailingOnly = TRUE)[1]
incidence <- c(0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 5, 9, 12,
               20, 14, 7)
write.csv(data.frame(day = seq_along(incidence), incidence = incidence),
          file.path(out, "sparse_incidence.csv"), row.names = FALSE, quote = FALSE)
estimate <- suppressMessages(estimate_R(incidence, method = "parametric_si",
                                        config = make_config(list(mean_si = 4.7, std_si = 2.9))))
write.csv(format(estimate$R, digits = 17), file.path(out, "epiestim_sparse_parametric_si.csv"),
          row.names = FALSE, quote = FALSE)
cat("EpiEstim", as.character(packageVersion("EpiEstim")), "R", R.version.string, "\n")
