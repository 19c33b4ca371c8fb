# One run of R's LCMCR for bench_lcmcr.py --r (not part of the package; needs LCMCR installed).
#
#   Rscript lcmcr_run.R DATA.csv K BURNIN SAMPLES THINNING SEED DRAWS_OUT.csv
#
# DATA.csv has one 0/1 column per list and a last column of counts (tests/estimation/data/mse).
# Runs lcmCR (500 warm-up sweeps) and lcmCR_PostSampl, writes the draws of N to DRAWS_OUT.csv
# (one per line) and prints one JSON line: in-process wall and CPU seconds of the sampler
# (start-up, package loading and data expansion excluded) and the number of sweeps.

suppressPackageStartupMessages(library(LCMCR))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 7)
path <- args[1]
K <- as.integer(args[2])
burnin <- as.integer(args[3])
samples <- as.integer(args[4])
thinning <- as.integer(args[5])
seed <- as.integer(args[6])
out <- args[7]

d <- read.csv(path, check.names = FALSE)
J <- ncol(d) - 1L
rows <- rep(seq_len(nrow(d)), d[[ncol(d)]])
captures <- as.data.frame(lapply(d[rows, seq_len(J), drop = FALSE], function(v) {
  factor(v, levels = c(0, 1))
}))

t0 <- proc.time()
fit <- lcmCR(captures, tabular = FALSE, in_list_label = "1", not_in_list_label = "0",
             K = K, a_alpha = 0.25, b_alpha = 0.25, buffer_size = samples,
             thinning = thinning, seed = seed, verbose = FALSE)
N <- lcmCR_PostSampl(fit, burnin = burnin, samples = samples, thinning = thinning,
                     output = FALSE)
dt <- proc.time() - t0

writeLines(format(N, scientific = FALSE, trim = TRUE), out)
cat(sprintf('{"wall": %.6f, "cpu": %.6f, "iterations": %d, "samples": %d}\n',
            dt[["elapsed"]], dt[["user.self"]] + dt[["sys.self"]],
            500L + burnin + samples * thinning, length(N)))
