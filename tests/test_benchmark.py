import json

from tools import benchmark


def test_time_to_a_target_is_the_training_time_until_the_first_epoch_that_reaches_it():
    run = benchmark.Run("recipe", "mnist", [10.0, 5.0, 5.0], [0.95, 0.99, 0.98])
    assert run.time_to(0.99) == 15.0 and run.time_to(0.95) == 10.0 and run.time_to(0.995) is None
    chapter = benchmark.Run("chapter", "mnist", [4.0, 4.0, 4.0], [0.97, 0.992, 0.993])
    c = benchmark.compare({"recipe": run, "chapter": chapter}, 0.99)
    assert (c["recipe_seconds"], c["chapter_seconds"], c["ratio"]) == (15.0, 8.0, 0.53)
    assert benchmark.compare({"recipe": run, "chapter": chapter}, 0.999)["ratio"] is None


def test_the_recipe_is_the_published_one():
    model = benchmark.build_recipe()
    assert model.count_params() == 34_826  # keras.io's summary of the simple MNIST convnet
    assert [layer.__class__.__name__ for layer in model.layers] == \
        ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"]


def test_a_quick_benchmark_writes_its_table(tmp_path):
    assert benchmark.main(["--quick", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "benchmark.json").read_text())
    assert record["mode"] == "quick" and set(record["results"]) == {"fashion_mnist", "mnist"}
    for result in record["results"].values():
        runs = result["runs"]
        assert len(runs["recipe"]["test_accuracy"]) == len(runs["chapter"]["epoch_seconds"]) == 1
        assert all(s > 0 for r in runs.values() for s in r["epoch_seconds"])
    table = (tmp_path / "benchmark.md").read_text()
    assert "| fashion_mnist |" in table and "| mnist | 0.9900 |" in table


def test_the_published_benchmark_table_is_the_one_its_run_wrote():
    """results/benchmark.md is generated from results/benchmark.json, never edited by hand."""
    folder = benchmark.course.ROOT / "results"
    record = json.loads((folder / "benchmark.json").read_text())
    assert record["mode"] == "full", "publish a full-size run: python -m tools.benchmark"
    assert (folder / "benchmark.md").read_text() == benchmark.to_markdown(record)


def test_the_benchmark_trains_chapter_08s_cnn_as_the_chapter_does():
    """Its settings come from the chapter's parameters cell; the chapter builds and trains with exactly those."""
    settings = benchmark.chapter_settings()
    assert settings["EPOCHS"] >= 1 and settings["BATCH_SIZE"] >= 1 and len(settings["FILTERS"]) >= 1
    cells = json.loads(benchmark.CHAPTER.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    chapter_cnn = ("partial(build_cnn, filters=FILTERS, dense_units=DENSE_UNITS, dropout=DROPOUT, "
                   "bn_momentum=BN_MOMENTUM)")
    assert chapter_cnn in code
    assert "chapter_cnn(learning_rate=cosine_schedule(EPOCHS, len(x_train), BATCH_SIZE))" in code
    assert "cnn.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE," in code
    model = benchmark.build_chapter_cnn(1_000, settings)
    assert model.get_layer("conv2").filters == settings["FILTERS"][1]
    assert model.get_layer("dense").units == settings["DENSE_UNITS"]
