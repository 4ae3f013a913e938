# Writes the reference outputs that tests/analytics/test_rt.py compares our Rt with.
# Run with Debian's EpiEstim (apt-get install r-cran-epiestim):
#   Rscript scripts/epiestim_reference.R tests/analytics/data
# Data and serial intervals are the examples of EpiEstim's vignette ("Flu2009": pandemic
# influenza in a school in Pennsylvania, 2009; SI mean 2.6 days, sd 1.5 days).
suppressMessages(library(EpiEstim))
out <- commandArgs(trailingOnly = TRUE)[1]
data("Flu2009")
write17 <- function(frame, name) {
  write.csv(format(frame, digits = 17), file.path(out, name), row.names = FALSE, quote = FALSE)
}
write17(data.frame(day = seq_along(Flu2009$incidence$I), date = Flu2009$incidence$dates,
                   incidence = Flu2009$incidence$I), "flu2009_incidence.csv")
write17(data.frame(day = seq_along(Flu2009$si_distr) - 1, p = Flu2009$si_distr),
        "flu2009_si_distr.csv")
parametric <- estimate_R(Flu2009$incidence, method = "parametric_si",
                         config = make_config(list(mean_si = 2.6, std_si = 1.5)))
write17(parametric$R, "epiestim_parametric_si.csv")
write17(data.frame(day = seq_along(parametric$si_distr) - 1, p = parametric$si_distr),
        "epiestim_parametric_si_distr.csv")
non_parametric <- estimate_R(Flu2009$incidence, method = "non_parametric_si",
                             config = make_config(list(si_distr = Flu2009$si_distr)))
write17(non_parametric$R, "epiestim_non_parametric_si.csv")
# Bi-weekly windows and a different prior, so the window and prior settings are checked too.
t_start <- seq(2, nrow(Flu2009$incidence) - 13)
biweekly <- estimate_R(Flu2009$incidence, method = "parametric_si",
                       config = make_config(list(mean_si = 2.6, std_si = 1.5, t_start = t_start,
                                                 t_end = t_start + 13, mean_prior = 4,
                                                 std_prior = 4)))
write17(biweekly$R, "epiestim_parametric_si_biweekly.csv")
cat("EpiEstim", as.character(packageVersion("EpiEstim")), "R", R.version.string, "\n")
