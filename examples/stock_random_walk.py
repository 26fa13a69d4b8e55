"""Daily stock prices against the random walk: the right-shift trap in its purest form.

Tutorial (see ../shared/docs/mission.md, experiment 3): daily closing prices (Shanghai
Composite from 2019, downloaded with tushare), min-max scaled, windows of 10 days, 70/30
split, a 2-layer LSTM with 8 hidden units, Adam lr 1e-2, 200 full-batch epochs; a loss
curve and a prediction plot. It reported no error figure and no baseline: the prediction
plot "looks right" because it is the price shifted one day to the right.

Here: the bundled real series ``msft`` (Microsoft adjusted closes 2010-2017, CC0; the
Shanghai data cannot be redistributed), the tutorial's set-up in gatecast (the scaler
fitted on the training part only, as it must be), an LSTM on daily changes, and the
random walk (naive) and drift baselines. Test numbers are one-step forecasts of the last
30 % from the history before each day, with the parameters fitted on the first 70 %.

    python examples/stock_random_walk.py           # full size, a minute or two
    python examples/stock_random_walk.py --small   # the last 300 days, seconds
"""

from __future__ import annotations

import time

import numpy as np
from _common import Row, long_frame, one_step, parse_args, print_table

import gatecast as gc
from gatecast.data.slices import slice_frame
from gatecast.data.validate import validate
from gatecast.plotting import plot_forecast, plot_loss_curves
from gatecast.training.config import TrainerConfig


def main() -> None:
    args = parse_args("stock_random_walk", "daily stock prices against the random walk")
    df = gc.datasets.load("msft")
    if args.small:
        df = df.iloc[-300:].reset_index(drop=True)
    sf = validate(df)
    n = int(sf.lengths[0])
    n_test = n - int(0.7 * n)
    train = slice_frame(sf, np.array([0]), np.array([n - n_test]))
    epochs = 20 if args.small else 200
    # season_length=1: prices have no weekly cycle (business days would give 5)
    tutorial = gc.LSTM(
        alias="lstm-minmax", season_length=1, horizon=1, look_back=10, hidden_size=8, num_layers=2,
        head_layers=0, transform="minmax", normalize="none", loss="mse", max_steps=0,
        val_size=0, trainer=TrainerConfig(optimizer="adam", lr=1e-2, schedule="none",
                                          epochs=epochs,
                                          batch_size=100_000, seed=args.seed, device="cpu"))
    changes = gc.LSTM(
        alias="lstm-diff", season_length=1, horizon=1, look_back=10, hidden_size=8, num_layers=2,
        head_layers=0, transform="diff", loss="mse", val_size=0,
        max_steps=50 if args.small else 600,
        trainer=TrainerConfig(seed=args.seed, device="cpu"))
    models = [tutorial, changes, gc.Naive(alias="naive"), gc.Drift(alias="drift")]
    preds, seconds = {}, {}
    for model in models:
        start = time.perf_counter()
        model.fit(train)
        seconds[model.name] = time.perf_counter() - start
        preds[model.name] = one_step(model, sf, n_test)
    actual = sf.frame["y"].to_numpy()[-n_test:]
    scores = {}
    for name, pred in preds.items():
        rmse = float(np.sqrt(np.mean((actual - pred) ** 2)))
        scores[name] = {"RMSE": rmse, "MAE": float(np.mean(np.abs(actual - pred)))}
    naive_rmse = scores["naive"]["RMSE"]
    for s in scores.values():
        s["skill vs naive"] = 1 - s["RMSE"] / naive_rmse

    cols = ["RMSE", "MAE", "skill vs naive"]
    rows = [
        Row("tutorial (reported)", {c: "n/a" for c in cols},
            "no error figure, no baseline: a loss curve and a plot"),
        Row("gatecast, tutorial set-up", scores["lstm-minmax"],
            f"min-max prices, 2x LSTM(8), {epochs} full-batch epochs"
            f" ({seconds['lstm-minmax']:.0f} s)"),
        Row("gatecast LSTM on changes", scores["lstm-diff"],
            f"transform='diff' ({seconds['lstm-diff']:.0f} s)"),
        Row("naive = random walk", scores["naive"], "baseline: tomorrow = today"),
        Row("drift", scores["drift"], "baseline"),
    ]
    first, last = (str(d)[:10] for d in sf.frame["ds"].iloc[[n - n_test, n - 1]])
    print_table(f"msft daily close: one-step forecasts of the last {n_test} days"
                f" ({first} to {last})", rows, cols)
    print("\nskill vs naive = 1 - RMSE / RMSE(naive): above 0 beats the random walk. A model"
          " whose forecast is yesterday's price shifted right scores about 0 at best.")

    ds = sf.frame["ds"].to_numpy()[-n_test:]
    show = min(n_test, 120)
    forecasts = long_frame(ds[:show], preds["lstm-minmax"][:show], "lstm-minmax", "MSFT")
    forecasts["naive"] = preds["naive"][:show]
    test = sf.frame.iloc[n - n_test:n - n_test + show][["unique_id", "ds", "y"]]
    plot_forecast(train, forecasts, args.output / "stock_forecast.png", last=120,
                  actuals=test, title="msft: one-step test forecasts (first 120 days)")
    plot_loss_curves([tutorial, changes], path=args.output / "stock_loss.png")
    print(f"figures: {args.output / 'stock_forecast.png'}, {args.output / 'stock_loss.png'}")


if __name__ == "__main__":
    main()
