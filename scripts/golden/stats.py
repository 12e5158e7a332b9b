"""Golden values for experiments/stats (Student t quantiles and CDF, the paired t-test's power
from the noncentral t) computed with SciPy. Run with any python3 that has scipy; paste the
printed JSON into test/fixtures/stats-golden.json."""
import json
from scipy import stats

out = {"tQuantile": [], "tCdf": [], "power": []}
for df in [1, 2, 3, 4, 5, 9, 19, 29, 99]:
    for p in [0.8, 0.9, 0.975, 0.995]:
        out["tQuantile"].append([p, df, float(stats.t.ppf(p, df))])
for df in [1, 3, 7, 30]:
    for t in [-3.5, -1.0, 0.3, 2.0, 6.0]:
        out["tCdf"].append([t, df, float(stats.t.cdf(t, df))])
for n, delta, sd in [(3, 0.01, 0.01), (5, 0.01, 0.015), (10, 1.0, 1.0), (20, 0.5, 1.0), (8, 0.02, 0.01), (40, 0.01, 0.03)]:
    df = n - 1
    c = stats.t.ppf(0.975, df)
    ncp = delta * n ** 0.5 / sd
    power = stats.nct.sf(c, df, ncp) + stats.nct.cdf(-c, df, ncp)
    out["power"].append([n, delta, sd, float(power)])
print("{\n" + ",\n".join(f" {json.dumps(k)}: [\n  " + ",\n  ".join(json.dumps(r) for r in v) + "\n ]" for k, v in out.items()) + "\n}")
