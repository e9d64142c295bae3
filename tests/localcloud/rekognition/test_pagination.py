"""DescribeProjectVersions and DescribeProjects: order, pages, NextToken, filters and their limits.

Listing changes nothing, so one local cloud with one set of resources serves the whole module: seven
versions of one project in us-east-1, and five Custom Labels plus two content-moderation projects in
eu-west-1 (a region of their own, so the version project does not show up among them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.samples.shapes import shapes_dataset
from localcloud.testing.clients import error_code, unchecked_client
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import Uploaded

DURATIONS = PROPORTIONAL.durations

DATA_BUCKET = "pagination-data"
OUTPUT_BUCKET = "pagination-output"
VERSIONS = [f"v{i}" for i in range(1, 8)]  # created in this order
PROJECT_REGION = "eu-west-1"
LABEL_PROJECTS = [f"labels-{i}" for i in range(1, 6)]
MODERATION_PROJECTS = ["moderation-1", "moderation-2"]
CREATED_ORDER = ["labels-1", "moderation-1", "labels-2", "labels-3", "moderation-2", "labels-4", "labels-5"]


def newest_first(names: list[str], created: list[str]) -> list[str]:
    return sorted(names, key=created.index, reverse=True)


@dataclass
class Listed:
    cloud: LocalCloud
    clock: ManualClock
    rekognition: Any
    projects: Any  # a Rekognition client in PROJECT_REGION
    project_arn: str  # the project with VERSIONS
    other_project_arn: str  # a project with one version
    unchecked: Any  # a Rekognition client that leaves all validation to the service
    data: Uploaded  # the training and testing manifests in DATA_BUCKET


@pytest.fixture(scope="module")
def listed() -> Iterator[Listed]:
    clock = ManualClock()
    with started_cloud(PROPORTIONAL, clock=clock) as cloud:
        s3 = cloud.client("s3")
        s3.create_bucket(Bucket=DATA_BUCKET)
        s3.create_bucket(Bucket=OUTPUT_BUCKET)
        objects = shapes_dataset(bucket=DATA_BUCKET, images_per_label=2, labels=("circle", "square"))
        for key, body in objects.items():
            s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        data = Uploaded(DATA_BUCKET, "manifests/train.manifest", "manifests/test.manifest", sorted(objects))
        rekognition = cloud.client("rekognition")
        project_arn = rekognition.create_project(ProjectName="paged")["ProjectArn"]
        other_project_arn = rekognition.create_project(ProjectName="other")["ProjectArn"]
        # Serially, each trained before the next: the account trains at most two at a time.
        for project, name in [*((project_arn, v) for v in VERSIONS), (other_project_arn, "v1")]:
            rekognition.create_project_version(
                ProjectArn=project,
                VersionName=name,
                OutputConfig={"S3Bucket": OUTPUT_BUCKET},
                TrainingData=data.training,
                TestingData=data.testing,
            )
            clock.advance(DURATIONS.training)
        projects = cloud.client("rekognition", region=PROJECT_REGION)
        for name in CREATED_ORDER:
            feature = "CONTENT_MODERATION" if name in MODERATION_PROJECTS else "CUSTOM_LABELS"
            projects.create_project(ProjectName=name, Feature=feature)
            clock.advance(1)
        unchecked = unchecked_client(cloud, "rekognition")
        yield Listed(cloud, clock, rekognition, projects, project_arn, other_project_arn, unchecked, data)


def version_names(page: dict[str, Any]) -> list[str]:
    return [str(v["ProjectVersionArn"]).split("/")[-2] for v in page["ProjectVersionDescriptions"]]


def project_names(page: dict[str, Any]) -> list[str]:
    return [str(p["ProjectArn"]).split("/")[-2] for p in page["ProjectDescriptions"]]


def all_pages(call: Callable[..., dict[str, Any]], **arguments: Any) -> list[dict[str, Any]]:
    """Every page, following NextToken by hand."""
    pages = [call(**arguments)]
    while "NextToken" in pages[-1]:
        pages.append(call(**arguments, NextToken=pages[-1]["NextToken"]))
        assert len(pages) <= 20, "NextToken never ran out"
    return pages


# -- DescribeProjectVersions ------------------------------------------------------------------------


def test_versions_are_listed_newest_first(listed: Listed) -> None:
    # GIVEN seven versions created one after another
    # WHEN they are described without paging arguments
    response = listed.rekognition.describe_project_versions(ProjectArn=listed.project_arn)
    # THEN all are on one page, newest first, with no NextToken
    assert version_names(response) == VERSIONS[::-1]
    created = [v["CreationTimestamp"] for v in response["ProjectVersionDescriptions"]]
    assert created == sorted(created, reverse=True) and len(set(created)) == len(created)
    assert "NextToken" not in response


@pytest.mark.parametrize(
    ("max_results", "sizes"),
    [(3, [3, 3, 1]), (1, [1] * 7), (6, [6, 1]), (7, [7]), (100, [7])],
)
def test_version_pages_chain_by_next_token(listed: Listed, max_results: int, sizes: list[int]) -> None:
    # GIVEN seven versions
    # WHEN they are paged MaxResults at a time, following NextToken
    pages = all_pages(
        listed.rekognition.describe_project_versions, ProjectArn=listed.project_arn, MaxResults=max_results
    )
    # THEN the pages have the expected sizes and together list every version once, newest first
    assert [len(p["ProjectVersionDescriptions"]) for p in pages] == sizes
    assert [name for page in pages for name in version_names(page)] == VERSIONS[::-1]


def test_a_token_for_long_version_names_fits_the_api_and_serves_again(listed: Listed) -> None:
    # GIVEN a query naming ten versions, three of them with names of the longest length (255)
    names = [*VERSIONS, *(f"{i}" * 255 for i in range(3))]
    # WHEN it is paged three at a time
    pages = all_pages(
        listed.rekognition.describe_project_versions,
        ProjectArn=listed.project_arn,
        VersionNames=names,
        MaxResults=3,
    )
    # THEN every token fits the 1024 characters the API takes back, and the pages list the seven once
    tokens = [page["NextToken"] for page in pages if "NextToken" in page]
    assert tokens and all(len(token) <= 1024 for token in tokens)
    assert [name for page in pages for name in version_names(page)] == VERSIONS[::-1]


def test_boto3_paginator_walks_the_same_pages(listed: Listed) -> None:
    # GIVEN boto3's own paginator for DescribeProjectVersions
    paginator = listed.rekognition.get_paginator("describe_project_versions")
    # WHEN it walks the versions three at a time
    pages = list(paginator.paginate(ProjectArn=listed.project_arn, PaginationConfig={"PageSize": 3}))
    # THEN it sees the same three pages
    assert [version_names(p) for p in pages] == [["v7", "v6", "v5"], ["v4", "v3", "v2"], ["v1"]]


@pytest.mark.parametrize(
    ("names", "max_results", "expected"),
    [
        (["v2", "v5"], None, ["v5", "v2"]),
        (["v3"], None, ["v3"]),
        (["v3", "missing"], None, ["v3"]),
        (["missing"], None, []),
        (["v1", "v2", "v3", "v4"], 3, ["v4", "v3", "v2", "v1"]),
        ([*VERSIONS[:3], "x1", "x2", "x3", "x4", "x5", "x6", "x7"], 2, ["v3", "v2", "v1"]),
    ],
)
def test_version_names_filter(
    listed: Listed, names: list[str], max_results: int | None, expected: list[str]
) -> None:
    # GIVEN seven versions
    paging = {} if max_results is None else {"MaxResults": max_results}
    # WHEN they are described by name (paged when MaxResults is given)
    pages = all_pages(
        listed.rekognition.describe_project_versions,
        ProjectArn=listed.project_arn,
        VersionNames=names,
        **paging,
    )
    # THEN only the named versions that exist are listed, newest first
    assert [name for page in pages for name in version_names(page)] == expected


def first_token(listed: Listed) -> str:
    page = listed.rekognition.describe_project_versions(ProjectArn=listed.project_arn, MaxResults=3)
    token: str = page["NextToken"]
    return token


TOKEN_MISUSE: dict[str, Callable[[Listed], dict[str, Any]]] = {
    "garbage": lambda lst: lst.rekognition.describe_project_versions(
        ProjectArn=lst.project_arn, NextToken="not-a-token"
    ),
    "garbage-base64": lambda lst: lst.rekognition.describe_project_versions(
        ProjectArn=lst.project_arn,
        NextToken="eyJvZmZzZXQiOiAtM30=",  # {"offset": -3}
    ),
    "other-filter": lambda lst: lst.rekognition.describe_project_versions(
        ProjectArn=lst.project_arn, VersionNames=["v1", "v2"], NextToken=first_token(lst)
    ),
    "other-project": lambda lst: lst.rekognition.describe_project_versions(
        ProjectArn=lst.other_project_arn, NextToken=first_token(lst)
    ),
    "into-describe-projects": lambda lst: lst.rekognition.describe_projects(NextToken=first_token(lst)),
}


@pytest.mark.parametrize("misuse", list(TOKEN_MISUSE))
def test_foreign_or_garbage_next_token_is_invalid(listed: Listed, misuse: str) -> None:
    # GIVEN a NextToken that is garbage, or that was issued for another listing
    # WHEN it is sent THEN the service refuses it as an invalid pagination token
    with pytest.raises(ClientError) as caught:
        TOKEN_MISUSE[misuse](listed)
    assert error_code(caught) == "InvalidPaginationTokenException"


def test_a_token_is_good_for_the_listing_it_came_from(listed: Listed) -> None:
    # GIVEN a NextToken from a filtered listing
    arguments = {"ProjectArn": listed.project_arn, "VersionNames": ["v1", "v2", "v3"], "MaxResults": 2}
    token = listed.rekognition.describe_project_versions(**arguments)["NextToken"]
    # WHEN the same listing is continued with it (twice: tokens hold no server state)
    pages = [listed.rekognition.describe_project_versions(**arguments, NextToken=token) for _ in range(2)]
    # THEN both continuations give the rest of the list
    assert [version_names(p) for p in pages] == [["v1"], ["v1"]]


# -- limits that only the service checks ------------------------------------------------------------

LIMITS: dict[str, Callable[[Listed], dict[str, Any]]] = {
    "versions-max-results-0": lambda lst: lst.unchecked.describe_project_versions(
        ProjectArn=lst.project_arn, MaxResults=0
    ),
    "versions-max-results-101": lambda lst: lst.unchecked.describe_project_versions(
        ProjectArn=lst.project_arn, MaxResults=101
    ),
    "versions-11-names": lambda lst: lst.unchecked.describe_project_versions(
        ProjectArn=lst.project_arn, VersionNames=[f"v{i}" for i in range(11)]
    ),
    "versions-empty-names": lambda lst: lst.unchecked.describe_project_versions(
        ProjectArn=lst.project_arn, VersionNames=[]
    ),
    "projects-max-results-0": lambda lst: lst.unchecked.describe_projects(MaxResults=0),
    "projects-max-results-101": lambda lst: lst.unchecked.describe_projects(MaxResults=101),
    "projects-11-names": lambda lst: lst.unchecked.describe_projects(
        ProjectNames=[f"p{i}" for i in range(11)]
    ),
    "projects-unknown-feature": lambda lst: lst.unchecked.describe_projects(Features=["FACES"]),
}


@pytest.mark.parametrize("case", list(LIMITS))
def test_paging_arguments_out_of_range_are_invalid(listed: Listed, case: str) -> None:
    # GIVEN a client that sends whatever it is given
    # WHEN a paging or filter argument is outside the modelled range
    with pytest.raises(ClientError) as caught:
        LIMITS[case](listed)
    # THEN the service refuses it
    assert error_code(caught) == "InvalidParameterException"


@pytest.mark.parametrize("max_results", [1, 100])
def test_paging_limits_themselves_are_accepted(listed: Listed, max_results: int) -> None:
    # GIVEN the unvalidated client WHEN MaxResults is at a bound THEN the listing works
    page = listed.unchecked.describe_project_versions(ProjectArn=listed.project_arn, MaxResults=max_results)
    assert version_names(page) == VERSIONS[::-1][:max_results]


# -- DescribeProjects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (None, LABEL_PROJECTS),
        (["CUSTOM_LABELS"], LABEL_PROJECTS),
        (["CONTENT_MODERATION"], MODERATION_PROJECTS),
        (["CUSTOM_LABELS", "CONTENT_MODERATION"], CREATED_ORDER),
    ],
    ids=["default", "custom-labels", "content-moderation", "both"],
)
def test_projects_feature_filter(listed: Listed, features: list[str] | None, expected: list[str]) -> None:
    # GIVEN Custom Labels and content-moderation projects in one region
    filtering = {} if features is None else {"Features": features}
    # WHEN projects are described with the Features filter (or without it)
    response = listed.projects.describe_projects(**filtering)
    # THEN only projects of those features are listed (Custom Labels by default), newest first
    assert project_names(response) == newest_first(expected, CREATED_ORDER)
    if features is not None:
        assert {p["Feature"] for p in response["ProjectDescriptions"]} == set(features)


@pytest.mark.parametrize(("max_results", "sizes"), [(2, [2, 2, 1]), (4, [4, 1]), (5, [5])])
def test_project_pages_chain_by_next_token(listed: Listed, max_results: int, sizes: list[int]) -> None:
    # GIVEN five Custom Labels projects
    # WHEN they are paged, following NextToken
    pages = all_pages(listed.projects.describe_projects, MaxResults=max_results)
    # THEN the pages have the expected sizes and list every project once, newest first
    assert [len(p["ProjectDescriptions"]) for p in pages] == sizes
    assert [n for page in pages for n in project_names(page)] == newest_first(LABEL_PROJECTS, CREATED_ORDER)


@pytest.mark.parametrize(
    ("names", "features", "expected"),
    [
        (["labels-1", "labels-3"], None, ["labels-3", "labels-1"]),
        (["labels-2", "missing"], None, ["labels-2"]),
        (["missing"], None, []),
        (["moderation-1"], None, []),
        (["moderation-1", "labels-1"], ["CONTENT_MODERATION"], ["moderation-1"]),
        (["paged"], None, []),  # a project of another region
    ],
)
def test_project_names_filter(
    listed: Listed, names: list[str], features: list[str] | None, expected: list[str]
) -> None:
    # GIVEN projects of both features in this region, and others elsewhere
    filtering = {} if features is None else {"Features": features}
    # WHEN projects are described by name
    response = listed.projects.describe_projects(ProjectNames=names, **filtering)
    # THEN only the named projects of the asked features in this region are listed
    assert project_names(response) == expected


@pytest.mark.parametrize(
    "continuation",
    [{"ProjectNames": ["labels-1", "labels-2"]}, {"Features": ["CONTENT_MODERATION"]}],
    ids=["other-names", "other-features"],
)
def test_project_token_reused_with_another_filter_is_invalid(
    listed: Listed, continuation: dict[str, Any]
) -> None:
    # GIVEN a NextToken of the unfiltered project listing
    token = listed.projects.describe_projects(MaxResults=2)["NextToken"]
    # WHEN it continues a listing with another filter THEN it is an invalid token
    with pytest.raises(ClientError) as caught:
        listed.projects.describe_projects(MaxResults=2, NextToken=token, **continuation)
    assert error_code(caught) == "InvalidPaginationTokenException"


def test_projects_created_in_the_same_instant_are_still_newest_first(listed: Listed) -> None:
    # GIVEN three projects created, without the clock moving, in the order zeta, alpha, mid
    client = listed.cloud.client("rekognition", region="ap-south-1")
    created = ["zeta", "alpha", "mid"]
    arns = [client.create_project(ProjectName=name)["ProjectArn"] for name in created]
    # (their ARNs' epoch-millisecond suffixes do record that order)
    assert [int(a.rsplit("/", 1)[1]) for a in arns] == sorted(int(a.rsplit("/", 1)[1]) for a in arns)
    # WHEN they are described
    listed_names = project_names(client.describe_projects())
    # THEN they are newest first: mid, alpha, zeta
    assert listed_names == created[::-1]


def test_versions_created_in_the_same_instant_are_still_newest_first(listed: Listed) -> None:
    # GIVEN two versions created, without the clock moving, in the order zeta, alpha
    project_arn = listed.rekognition.create_project(ProjectName="tied")["ProjectArn"]
    for name in ("zeta", "alpha"):
        listed.rekognition.create_project_version(
            ProjectArn=project_arn,
            VersionName=name,
            OutputConfig={"S3Bucket": OUTPUT_BUCKET},
            TrainingData=listed.data.training,
            TestingData=listed.data.testing,
        )
    # WHEN they are described
    response = listed.rekognition.describe_project_versions(ProjectArn=project_arn)
    # THEN the newest, alpha, comes first
    assert version_names(response) == ["alpha", "zeta"]


def test_version_arn_suffixes_follow_the_listing_order(listed: Listed) -> None:
    # GIVEN the version listing of the seven versions, created at distinct times
    response = listed.rekognition.describe_project_versions(ProjectArn=listed.project_arn)
    # WHEN the ARNs' epoch-millisecond suffixes are read
    suffixes = [
        int(str(v["ProjectVersionArn"]).rsplit("/", 1)[1]) for v in response["ProjectVersionDescriptions"]
    ]
    # THEN they decrease down the list, like the creation timestamps
    assert suffixes == sorted(suffixes, reverse=True) and len(set(suffixes)) == 7
