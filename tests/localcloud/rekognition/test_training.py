"""The stand-in training: nearest centroid, its evaluation, and the evaluation summary document."""

from __future__ import annotations

import json
import re

import pytest

from localcloud.rekognition import manifests, training
from localcloud.rekognition.manifests import Dataset, Entry
from localcloud.samples.shapes import shapes_dataset

BUCKET = "samples"


def load(objects: dict[str, bytes], key: str) -> Dataset:
    def read(bucket: str, name: str, version: str | None) -> bytes:
        assert bucket == BUCKET
        return objects[name]

    return manifests.load_manifest(read, BUCKET, key, None)


def sample(objects: dict[str, bytes]) -> tuple[Dataset, Dataset]:
    return load(objects, "manifests/train.manifest"), load(objects, "manifests/test.manifest")


def scrambled(objects: dict[str, bytes]) -> dict[str, bytes]:
    """The same images with labels assigned by line position, unrelated to what is drawn."""
    names = ("circle", "square", "triangle")
    result = dict(objects)
    for key in ("manifests/train.manifest", "manifests/test.manifest"):
        lines = []
        for i, text in enumerate(objects[key].decode().splitlines()):
            line = json.loads(text)
            line["shape-metadata"]["class-name"] = names[(i * 7 // 3) % 3]
            lines.append(json.dumps(line))
        result[key] = ("\n".join(lines) + "\n").encode()
    return result


def dataset(rows: list[tuple[str, float]]) -> Dataset:
    """One-feature entries: (label, feature)."""
    entries = tuple(
        Entry(f"s3://b/{i}.png", "b", f"{i}.png", (label,), (), (value,))
        for i, (label, value) in enumerate(rows)
    )
    return Dataset("classification", entries, ())


@pytest.fixture(scope="module")
def shapes() -> dict[str, bytes]:
    return shapes_dataset(bucket=BUCKET, images_per_label=10)


def test_training_on_the_shapes_sample_scores_high(shapes: dict[str, bytes]) -> None:
    # GIVEN the generated shapes sample, loaded through the manifest rules
    train, test = sample(shapes)
    # WHEN a model is trained and evaluated on the test manifest
    evaluation = training.evaluate(training.train(train), test)
    # THEN it scores F1 >= 0.9 overall and counts the images used
    assert evaluation.f1 >= 0.9
    assert (evaluation.training_images, evaluation.testing_images) == (24, 6)
    assert [m.label for m in evaluation.labels] == ["circle", "square", "triangle"]
    assert all(m.test_images == 2 for m in evaluation.labels)


def test_scrambled_labels_score_clearly_lower(shapes: dict[str, bytes]) -> None:
    # GIVEN the same images with labels that do not match the shapes
    clean = training.evaluate(training.train(sample(shapes)[0]), sample(shapes)[1])
    train, test = sample(scrambled(shapes))
    # WHEN trained and evaluated
    noisy = training.evaluate(training.train(train), test)
    # THEN F1 drops far below the clean result
    assert noisy.f1 <= 0.5
    assert clean.f1 - noisy.f1 >= 0.4


def test_autosplit_of_the_training_manifest_also_learns(shapes: dict[str, bytes]) -> None:
    # GIVEN only the training manifest, split the way TestingData.AutoCreate does
    train, test = manifests.split_for_testing(sample(shapes)[0])
    # WHEN trained and evaluated THEN it still learns the shapes
    assert training.evaluate(training.train(train), test).f1 >= 0.9


def test_training_and_evaluation_are_deterministic(shapes: dict[str, bytes]) -> None:
    # GIVEN the same data twice
    train, test = sample(shapes)
    # WHEN trained and evaluated twice THEN models and evaluations are equal
    first, second = training.train(train), training.train(sample(shapes)[0])
    assert first == second
    assert training.evaluate(first, test) == training.evaluate(second, test)


def test_predict_ranks_labels_by_confidence() -> None:
    # GIVEN a model of two well separated labels
    model = training.train(dataset([("a", 0.0), ("a", 0.2), ("b", 1.0), ("b", 0.8)]))
    # WHEN predicting near each centroid
    near_a, near_b = model.predict((0.1,)), model.predict((0.9,))
    # THEN the near label comes first with high confidence, confidences are 0..100 and sum to 100
    assert near_a[0][0] == "a" and near_a[0][1] > 90
    assert near_b[0][0] == "b" and near_b[0][1] > 90
    for ranking in (near_a, near_b):
        assert all(0 <= confidence <= 100 for _, confidence in ranking)
        assert sum(confidence for _, confidence in ranking) == pytest.approx(100, abs=0.01)


def test_predict_breaks_ties_by_label_name() -> None:
    # GIVEN a point halfway between two centroids
    model = training.train(dataset([("banana", 0.0), ("apple", 1.0)]))
    # WHEN predicted THEN equal confidences are ordered by label
    assert model.predict((0.5,)) == [("apple", 50.0), ("banana", 50.0)]


def test_predict_rejects_features_of_the_wrong_length() -> None:
    # GIVEN a one-feature model WHEN given two features THEN it refuses
    model = training.train(dataset([("a", 0.0), ("b", 1.0)]))
    with pytest.raises(ValueError, match="expected 1 features"):
        model.predict((0.0, 1.0))


def test_train_needs_labelled_images() -> None:
    # GIVEN a dataset without entries WHEN trained THEN it refuses
    with pytest.raises(ValueError):
        training.train(Dataset("classification", (), ()))


def test_evaluate_computes_per_label_and_macro_metrics() -> None:
    # GIVEN a model of a (near 0) and b (near 1), and a test set where one "a" image looks like "b"
    model = training.train(dataset([("a", 0.0), ("a", 0.2), ("b", 1.0), ("b", 0.8)]))
    test = dataset([("a", 0.1), ("a", 0.9), ("b", 0.95)])
    # WHEN evaluated
    evaluation = training.evaluate(model, test)
    # THEN a: precision 1, recall 1/2; b: precision 1/2, recall 1; macro means of those
    a, b = evaluation.labels
    assert (a.label, a.test_images, a.precision, a.recall, a.f1) == ("a", 2, 1.0, 0.5, 0.667)
    assert (b.label, b.test_images, b.precision, b.recall, b.f1) == ("b", 1, 0.5, 1.0, 0.667)
    assert (evaluation.precision, evaluation.recall, evaluation.f1) == (0.75, 0.75, 0.667)
    assert evaluation.threshold == a.threshold == training.THRESHOLD == 50.0
    assert (evaluation.training_images, evaluation.testing_images) == (4, 3)


def test_a_confidence_exactly_at_the_threshold_counts_as_detected() -> None:
    # GIVEN a test image exactly halfway between two labels (both at confidence 50)
    model = training.train(dataset([("a", 0.0), ("b", 1.0)]))
    assert model.predict((0.5,)) == [("a", 50.0), ("b", 50.0)]
    # WHEN evaluated at the default threshold of 50 THEN its true label counts as found
    (a,) = training.evaluate(model, dataset([("a", 0.5)])).labels
    assert (a.precision, a.recall) == (1.0, 1.0)


def test_a_label_never_predicted_scores_zero() -> None:
    # GIVEN a test label the model does not know
    model = training.train(dataset([("a", 0.0), ("b", 1.0)]))
    evaluation = training.evaluate(model, dataset([("a", 0.0), ("c", 0.5)]))
    # WHEN evaluated THEN that label has zero precision, recall and F1, and pulls the macro F1 down
    c = evaluation.labels[1]
    assert (c.label, c.precision, c.recall, c.f1) == ("c", 0.0, 0.0, 0.0)
    assert 0 <= evaluation.f1 < 1


def test_evaluation_summary_has_exactly_the_documented_shape() -> None:
    # GIVEN an evaluation with labels of different F1
    model = training.train(dataset([("a", 0.0), ("a", 0.2), ("b", 1.0), ("b", 0.8)]))
    evaluation = training.evaluate(model, dataset([("a", 0.1), ("b", 0.9), ("b", 0.3), ("b", 0.95)]))
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v1/1700000000000"
    # WHEN the summary document is built
    summary = training.evaluation_summary(evaluation, project_version_arn=arn, end_timestamp=1_700_000_000.25)
    # THEN it has exactly the documented keys and values
    assert set(summary) == {
        "Version",
        "EvaluationDetails",
        "AggregatedEvaluationResults",
        "LabelEvaluationResults",
    }
    assert summary["Version"] == 1
    assert summary["EvaluationDetails"] == {
        "ProjectVersionArn": arn,
        "EvaluationEndTimestamp": "2023-11-14T22:13:20.250000",
        "Labels": ["a", "b"],
        "NumberOfTrainingImages": 4,
        "NumberOfTestingImages": 4,
    }
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", summary["EvaluationDetails"]["EvaluationEndTimestamp"]
    )
    aggregated = summary["AggregatedEvaluationResults"]
    assert set(aggregated) == {"F1Score", "Precision", "Recall", "ConfusionMatrix"}
    assert (aggregated["F1Score"], aggregated["Precision"], aggregated["Recall"]) == (
        evaluation.f1,
        evaluation.precision,
        evaluation.recall,
    )
    assert [set(cell) for cell in aggregated["ConfusionMatrix"]] == [
        {"GroundTruthLabel", "PredictedLabel", "Value"}
    ] * 4
    results = summary["LabelEvaluationResults"]
    assert [set(r) for r in results] == [{"Label", "NumberOfTestingImages", "Metrics"}] * 2
    assert [set(r["Metrics"]) for r in results] == [{"Threshold", "Precision", "Recall", "F1Score"}] * 2
    # AND labels are ranked by F1, best first, with the threshold written 0..1
    assert [r["Metrics"]["F1Score"] for r in results] == sorted(
        (m.f1 for m in evaluation.labels), reverse=True
    )
    assert [r["Label"] for r in results] == ["b", "a"]  # b: F1 0.8; a: F1 0.667
    assert results[0]["NumberOfTestingImages"] == 3 and results[0]["Metrics"]["Threshold"] == 0.5
    json.dumps(summary)


def test_the_confusion_matrix_is_the_models_own_predictions_on_the_test_set() -> None:
    # GIVEN a model that confuses some test images (two "b" images look like "a", one "c" is unknown)
    model = training.train(dataset([("a", 0.0), ("a", 0.1), ("b", 1.0), ("b", 0.9)]))
    test = dataset([("a", 0.05), ("a", 0.1), ("b", 0.2), ("b", 0.15), ("b", 0.95), ("c", 0.5)])
    # WHEN it is evaluated
    evaluation = training.evaluate(model, test)
    cells = {(truth, label): value for truth, label, value in evaluation.confusion}
    # THEN each cell is the share of the ground truth's test images given that label at the threshold,
    # computed here from the model's predictions one image at a time
    for truth in ("a", "b", "c"):
        images = [entry for entry in test.entries if truth in entry.labels]
        for label in ("a", "b", "c"):
            given = sum(
                any(
                    name == label and confidence >= training.THRESHOLD
                    for name, confidence in model.predict(e.features)
                )
                for e in images
            )
            assert cells[(truth, label)] == round(given / len(images), 3), (truth, label)
    assert cells[("b", "a")] == 0.667 and cells[("b", "b")] == 0.333
    # AND its diagonal is each label's recall
    assert {m.label: m.recall for m in evaluation.labels} == {t: cells[(t, t)] for t in ("a", "b", "c")}
    # AND the summary writes it for classification, and not for object detection
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v1/1700000000000"
    summary = training.evaluation_summary(evaluation, project_version_arn=arn, end_timestamp=0)
    written = summary["AggregatedEvaluationResults"]["ConfusionMatrix"]
    assert {(c["GroundTruthLabel"], c["PredictedLabel"]): c["Value"] for c in written} == cells
    detection = training.evaluate(model, Dataset("detection", test.entries, ()))
    detected = training.evaluation_summary(detection, project_version_arn=arn, end_timestamp=0)
    assert "ConfusionMatrix" not in detected["AggregatedEvaluationResults"]


def test_all_reported_numbers_are_rounded_to_three_decimals() -> None:
    # GIVEN an evaluation whose raw ratios are not round (one of three "a" images missed)
    model = training.train(dataset([("a", 0.0), ("a", 0.2), ("b", 1.0), ("b", 0.8)]))
    evaluation = training.evaluate(model, dataset([("a", 0.1), ("a", 0.15), ("a", 0.9), ("b", 0.95)]))
    # WHEN its numbers are collected THEN each has at most three decimals and F1 lies in 0..1
    numbers = [evaluation.f1, evaluation.precision, evaluation.recall]
    numbers += [v for m in evaluation.labels for v in (m.precision, m.recall, m.f1, m.threshold)]
    assert evaluation.labels[0].recall == 0.667
    assert all(round(v, 3) == v for v in numbers)
    assert 0 <= evaluation.f1 <= 1
