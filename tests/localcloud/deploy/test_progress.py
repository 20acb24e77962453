"""Phase and resource-type timings read from cdktf's and Terraform's lines."""

from localcloud.deploy.progress import Progress

DEPLOY = [
    (2.0, "ecommerce-local  Initializing the backend..."),
    (3.5, "ecommerce-local  Terraform has been successfully initialized!"),
    (9.0, "ecommerce-local  Terraform used the selected providers to generate the following"),
    (9.5, "ecommerce-local  aws_kms_key.encryption_key_EEB70057 (encryption/key): Creating..."),
    (9.5, "                 aws_vpc.network_vpc_4E8F0223 (network/vpc): Creating..."),
    (10.0, "\x1b[1maws_iam_role.fn_products-role_C31FF5E4: Creating...\x1b[0m"),
    (10.5, "aws_iam_role.fn_users-role_49D273F8: Creating..."),
    (11.0, "aws_iam_role.fn_products-role_C31FF5E4: Creation complete after 1s [id=r]"),
    (13.5, "aws_iam_role.fn_users-role_49D273F8: Creation complete after 3s [id=r]"),
    (19.5, "aws_vpc.network_vpc_4E8F0223 (network/vpc): Creation complete after 10s [id=vpc-1]"),
    (22.5, "aws_kms_key.encryption_key_EEB70057 (encryption/key): Creation complete after 13s"),
    (30.0, "ecommerce-local  Apply complete! Resources: 4 added, 0 changed, 0 destroyed."),
]


def _fed(lines, end: float) -> Progress:
    now = [0.0]
    progress = Progress(clock=lambda: now[0])
    for at, line in lines:
        now[0] = at
        progress.feed(line)
    now[0] = end
    progress.finish()
    return progress


def test_phases_of_a_deploy():
    progress = _fed(DEPLOY, end=31.0)
    assert progress.phases() == {
        "synth": 2.0,
        "init": 1.5,
        "plan": 5.5,
        "apply": 21.0,
        "outputs": 1.0,
    }


def test_durations_per_resource_type_slowest_first():
    progress = _fed(DEPLOY, end=31.0)
    assert progress.by_type() == {
        "aws_kms_key": {"count": 1, "max_s": 13.0, "sum_s": 13.0},
        "aws_vpc": {"count": 1, "max_s": 10.0, "sum_s": 10.0},
        "aws_iam_role": {"count": 2, "max_s": 3.0, "sum_s": 4.0},
    }
    assert progress.summary(top=2) == "aws_kms_key 13.0 s, aws_vpc 10.0 s"


def test_a_destroy_without_plan_output_or_init():
    lines = [
        (4.0, "aws_lambda_permission.p: Destroying... [id=p]"),
        (4.2, "aws_lambda_permission.p: Destruction complete after 0s"),
        (6.0, "Destroy complete! Resources: 1 destroyed."),
    ]
    progress = _fed(lines, end=6.5)
    # No init or plan lines: the plan ends where the first resource starts.
    assert progress.phases() == {"plan": 4.0, "apply": 2.0, "outputs": 0.5}
    assert progress.by_type()["aws_lambda_permission"]["max_s"] == 0.2


def test_the_stamped_lines_and_when_each_resource_began(tmp_path):
    progress = _fed(DEPLOY[:5], end=10.0)
    assert progress.begun() == {
        "aws_kms_key.encryption_key_EEB70057": 9.5,
        "aws_vpc.network_vpc_4E8F0223": 9.5,
    }
    path = tmp_path / "deploy-times.log"
    progress.write_stamped(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "2.000\tecommerce-local  Initializing the backend..."
    assert lines[4] == f"9.500\t{DEPLOY[4][1]}"
    assert len(lines) == 5
