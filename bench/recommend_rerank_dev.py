"""Re-ranker variants on the features bench/recommend_blend_dev.py --dump saved (issue 14, session 8): the
classifier sizes and the ablation without the Transformer's two features, against TIFU-KNN with paired 95% CIs.

    python3 bench/recommend_rerank_dev.py /tmp/i14_dev_full.npz
"""
import sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from models.recommend.rerank import FEATURES

d = np.load(sys.argv[1])
Xi, yi, Xt = d["Xi"], d["yi"], d["Xt"]
ct, nt = d["ct"], d["nt"]
tt, ntt = d["tt"], d["ntt"]
offt = np.r_[0, np.cumsum(nt)]
offtt = np.r_[0, np.cumsum(ntt)]
targets = [tt[offtt[i]:offtt[i + 1]] for i in range(len(ntt))]
disc = 1 / np.log2(np.arange(2, 12))

def per_row(tops):
    R, N = [], []
    for t, tg in zip(tops, targets):
        hit = np.isin(t[:10], tg)
        R.append(hit.sum() / len(tg)); N.append((hit * disc[:len(t[:10])]).sum() / disc[:min(len(tg), 10)].sum())
    return np.array(R), np.array(N)

R0, N0 = per_row(d["tifu_top"])
def tops_from(p):
    out = []
    for i in range(len(nt)):
        c = ct[offt[i]:offt[i + 1]]; q = p[offt[i]:offt[i + 1]]
        o = np.lexsort((c, -q))[:10]
        out.append(c[o])
    return out

def ci(x):
    se = x.std(ddof=1) / np.sqrt(len(x)); return f"{x.mean():+.4f} [{x.mean() - 1.96 * se:+.4f}, {x.mean() + 1.96 * se:+.4f}]"

def tr(X):  # monotone transforms for the linear model
    X = X.copy()
    for j, f in enumerate(FEATURES):
        if f in ("repeat_rank", "model_rank", "n_bought", "baskets_since", "n_baskets"):
            X[:, j] = np.log1p(X[:, j])
        else:
            X[:, j] = np.log(X[:, j] + 1e-6)
    return X

nomodel = [j for j, f in enumerate(FEATURES) if not f.startswith("model")]
allc = list(range(len(FEATURES)))
variants = {
    "hgb31-200-leaf40 (first try)": (allc, lambda: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0, early_stopping=False, random_state=0), False),
    "hgb8-100-leaf200 (shipped)": (allc, lambda: HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=200, l2_regularization=1.0, early_stopping=False, random_state=0), False),
    "logreg": (allc, lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)), True),
    "hgb8-100-leaf200 no-model": (nomodel, lambda: HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=200, l2_regularization=1.0, early_stopping=False, random_state=0), False),
    "logreg no-model": (nomodel, lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)), True),
}
print(f"{len(yi)} inner pairs ({yi.mean():.3f} positive), {len(nt)} test baskets; TIFU R {R0.mean():.4f} N {N0.mean():.4f}")
for name, (cols, mk, lin) in variants.items():
    t = time.process_time()
    A, B = (tr(Xi), tr(Xt)) if lin else (Xi, Xt)
    clf = mk().fit(A[:, cols], yi)
    p = clf.predict_proba(B[:, cols])[:, 1]
    R, N = per_row(tops_from(p))
    print(f"{name:28s} R {R.mean():.4f} N {N.mean():.4f}  dR {ci(R - R0)}  dN {ci(N - N0)}  {time.process_time() - t:.0f} CPU s", flush=True)
