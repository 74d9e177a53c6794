# Reference values of R's survey package for tests/test_survey_reference.py.
#
# Run from the project folder (R is needed only to regenerate the file, never to run the
# pipeline or the tests, which read the committed CSV):
#
#   apt-get install -y --no-install-recommends r-base-core r-cran-survey
#   Rscript tests/r/survey_reference.R
#
# Reads tests/data/survey/respondents.csv (a SYNTHETIC wave, make_fixture.py) and writes
# tests/data/survey/reference.csv: quantity, group, variable, code, value. The design is the
# pipeline's: svydesign(ids = ~1, weights = ~weight), the weights raked to the margins of
# tests/data/survey/margins.yaml (recruiter 15%; seniority 20/40/40) and taken as fixed.
suppressPackageStartupMessages(library(survey))
options(digits = 15)

data <- read.csv("tests/data/survey/respondents.csv", stringsAsFactors = FALSE,
                 na.strings = "")
data$recruiter <- data$recruiter == "True"
data$invites_strangers <- ifelse(is.na(data$invites_strangers), NA,
                                 data$invites_strangers == "True")
data$accepts_strangers <- data$accepts_strangers == "True"
n <- nrow(data)
out <- list()
put <- function(quantity, group, variable, code, value) {
  out[[length(out) + 1]] <<- data.frame(quantity = quantity, group = group,
                                        variable = variable, code = code, value = value)
}

# Raking: R's rake() to the same margins, iterated to a tight tolerance; weights to mean 1.
unweighted <- svydesign(ids = ~1, weights = ~1, data = data)
raked <- rake(unweighted, list(~recruiter, ~seniority),
              list(data.frame(recruiter = c(TRUE, FALSE), Freq = n * c(0.15, 0.85)),
                   data.frame(seniority = c("board", "director", "senior_manager"),
                              Freq = n * c(0.2, 0.4, 0.4))),
              control = list(maxit = 1000, epsilon = 1e-12, verbose = FALSE))
data$weight <- weights(raked) / mean(weights(raked))
for (i in seq_len(n)) put("weight", "all", "", data$respondent_id[i], data$weight[i])

design <- svydesign(ids = ~1, weights = ~weight, data = data)
groups <- list(all = rep(TRUE, n), recruiters = data$recruiter,
               non_recruiters = !data$recruiter)
items <- list(purpose = c("find_role", "hire", "clients", "network"),
              invites_strangers = c(TRUE, FALSE))

for (group in names(groups)) {
  for (item in names(items)) {
    answered <- groups[[group]] & !is.na(data[[item]])
    domain <- subset(design, answered)
    for (code in items[[item]]) {
      domain$variables$y <- as.numeric(domain$variables[[item]] == code)
      kg <- svyciprop(~y, domain, method = "beta", level = 0.95)
      m <- svymean(~y, domain)
      label <- tolower(as.character(code))
      put("prop", group, item, label, coef(m)[[1]])
      put("std_error", group, item, label, SE(m)[[1]])
      put("ci_low", group, item, label, attr(kg, "ci")[[1]])
      put("ci_high", group, item, label, attr(kg, "ci")[[2]])
    }
  }
  answered <- groups[[group]] & !is.na(data$pending_invitations)
  domain <- subset(design, answered)
  m <- svymean(~pending_invitations, domain)
  ci <- confint(m, df = degf(domain), level = 0.95)
  put("mean", group, "pending_invitations", "", coef(m)[[1]])
  put("std_error", group, "pending_invitations", "", SE(m)[[1]])
  put("ci_low", group, "pending_invitations", "", ci[1, 1])
  put("ci_high", group, "pending_invitations", "", ci[1, 2])
}

# Rao-Scott second-order test (svychisq's default statistic = "F"), on complete cases.
for (item in names(items)) {
  complete <- subset(design, !is.na(data[[item]]))
  test <- svychisq(as.formula(paste("~recruiter +", item)), complete)
  put("rao_scott_f", "all", item, "", unname(test$statistic))
  put("rao_scott_ndf", "all", item, "", unname(test$parameter[["ndf"]]))
  put("rao_scott_ddf", "all", item, "", unname(test$parameter[["ddf"]]))
  put("rao_scott_p", "all", item, "", unname(test$p.value))
}

# Weighted logistic regression with linearisation standard errors.
complete <- subset(design, !is.na(data$invites_strangers))
complete$variables$seniority <- relevel(factor(complete$variables$seniority),
                                        ref = "senior_manager")
fit <- svyglm(accepts_strangers ~ recruiter + seniority + invites_strangers, complete,
              family = quasibinomial(),
              control = glm.control(epsilon = 1e-12, maxit = 100))  # converged as statsmodels
coefs <- summary(fit)$coefficients
ci <- confint(fit, level = 0.95)
terms <- c("Intercept", "recruiter[T.true]", "seniority[T.board]", "seniority[T.director]",
           "invites_strangers[T.true]")
for (i in seq_along(terms)) {
  put("estimate", "all", "model", terms[i], coefs[i, 1])
  put("std_error", "all", "model", terms[i], coefs[i, 2])
  put("p_value", "all", "model", terms[i], coefs[i, 4])
  put("ci_low", "all", "model", terms[i], ci[i, 1])
  put("ci_high", "all", "model", terms[i], ci[i, 2])
}

result <- do.call(rbind, out)
result$value <- sprintf("%.15g", result$value)
write.csv(result, "tests/data/survey/reference.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("R %s, survey %s: %d reference values\n", getRversion(),
            packageVersion("survey"), nrow(result)))
