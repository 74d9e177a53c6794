# Reference values for tests/test_model.py and tests/test_crosstab.py, computed once with R
# (4.2.2, MASS 7.3-58) and committed as constants there: R is never needed to run the tests.
#
#   Rscript tests/reference/make_r_reference.R design.csv
#
# design.csv is the design of test_model.py's survey(waves=WAVES) with SPEC, written as
#   y, X, _ = model.design(survey(waves=WAVES), SPEC, waves=WAVES)
#   X.assign(y=y).to_csv("design.csv", index=False)
options(digits = 15)
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], check.names = FALSE)
X <- as.matrix(d[, setdiff(names(d), "y")])
control <- glm.control(epsilon = 1e-14, maxit = 100)
fit <- glm(d$y ~ X - 1, family = binomial, control = control)
show <- function(name, x) cat(name, "=", paste(sprintf("%.10f", x), collapse = ", "), "\n")
show("estimate", coef(fit))
# Likelihood-ratio statistic of each coefficient = 0.
constrained <- function(j, b) {
  deviance(glm(d$y ~ X[, -j] - 1, offset = X[, j] * b, family = binomial, control = control))
}
show("lr", sapply(seq_len(ncol(X)), function(j) constrained(j, 0) - deviance(fit)))
# Profile-likelihood interval by its definition: the roots of the profile deviance minus the
# chi-square quantile (uniroot to 1e-12) ...
q <- qchisq(0.95, 1)
se <- sqrt(diag(vcov(fit)))
root <- function(j, side) {
  b <- coef(fit)[j]
  uniroot(function(x) constrained(j, x) - deviance(fit) - q, sort(c(b, b + side * 10 * se[j])),
          tol = 1e-12)$root
}
show("profile_low", sapply(seq_len(ncol(X)), root, side = -1))
show("profile_high", sapply(seq_len(ncol(X)), root, side = 1))
# ... and as R's confint() of a glm (MASS's profile, interpolated by splines).
ci <- suppressMessages(confint(fit, level = 0.95))
show("confint_low", ci[, 1])
show("confint_high", ci[, 2])
wald <- confint.default(fit, level = 0.95)
show("wald_low", wald[, 1])
show("wald_high", wald[, 2])

# The exact Fisher-Freeman-Halton test (fisher.test is exact for these sizes).
tables <- list(
  rbind(c(12, 23, 9, 7, 6, 1), c(177, 3, 65, 48, 40, 8)),
  rbind(c(28, 19, 4, 3), c(129, 86, 54, 72)),
  rbind(c(46, 6, 6, 1), c(246, 43, 43, 9)),
  rbind(c(3, 1, 0), c(1, 4, 5)),
  rbind(c(5, 0, 2, 7, 1, 3), c(2, 6, 1, 0, 4, 9)),
  rbind(c(20, 3, 1, 15, 2), c(30, 9, 0, 40, 6)),
  rbind(c(103, 10, 10, 2), c(490, 90, 80, 15)),
  rbind(c(30, 47, 15, 16, 15, 1), c(376, 7, 111, 94, 70, 17))
)
for (t in tables) cat("fisher", sprintf("%.15g", fisher.test(t, workspace = 2e8)$p.value), "\n")
