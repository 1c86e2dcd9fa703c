# Reference results for competing risks (R 4.2, survival 3.4+, cmprsk 2.2).
# usage: Rscript competing_reference.R competing.csv competing_reference.json
suppressMessages({library(survival); library(cmprsk); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1])
d$status <- ifelse(d$exit_reason == "dropout", 1, ifelse(d$exit_reason == "in_treatment", 0, 2))
d$arm <- relevel(factor(d$arm), ref = "clinical")
d$id <- seq_len(nrow(d))
ci <- cuminc(d$exit_days, d$status, d$arm, cencode = 0)
curve <- function(name) list(time = ci[[name]]$time, est = ci[[name]]$est, var = ci[[name]]$var)
tp <- timepoints(ci, c(30, 90, 180))
d$ev <- factor(d$status, 0:2, c("censor", "dropout", "other"))
fg <- finegray(Surv(exit_days, ev) ~ arm + age + co_occurring_mh + id, data = d, etype = "dropout")
fit_fg <- function(rhs) {
  f <- coxph(as.formula(paste("Surv(fgstart, fgstop, fgstatus) ~", rhs)), weight = fgwt, data = fg, cluster = id)
  s <- summary(f)$coefficients
  list(term = rownames(s), coef = unname(s[, "coef"]), se = unname(s[, "se(coef)"]),
       robust_se = unname(s[, "robust se"]), p = unname(s[, "Pr(>|z|)"]), loglik = f$loglik[2])
}
cs <- function(cause) {
  f <- coxph(Surv(exit_days, exit_reason == cause) ~ arm, data = d, ties = "efron")
  s <- summary(f)$coefficients
  list(coef = unname(s[, "coef"]), se = unname(s[, "se(coef)"]), p = unname(s[, "Pr(>|z|)"]))
}
res <- list(
  r_version = R.version.string, survival_version = as.character(packageVersion("survival")),
  cmprsk_version = as.character(packageVersion("cmprsk")),
  cuminc_clinical_dropout = curve("clinical 1"), cuminc_peer_dropout = curve("peer_clinical 1"),
  timepoints_est = tp$est, timepoints_var = tp$var, timepoints_rows = rownames(tp$est),
  gray_dropout = list(stat = ci$Tests[1, "stat"], p = ci$Tests[1, "pv"]),
  finegray_unadjusted = fit_fg("arm"), finegray_adjusted = fit_fg("arm + age + co_occurring_mh"),
  cause_specific_dropout = cs("dropout"), cause_specific_completed = cs("completed"))
write_json(res, a[2], digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote", a[2], "\n")
