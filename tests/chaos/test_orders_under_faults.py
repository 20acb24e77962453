"""The contract's promises for orders while 20% of DynamoDB's writes fail (CI's short pass:
100 orders by 20 customers on 10 products; ``python -m tests.chaos`` runs longer storms)."""

from tests.chaos.storm import Plan, Storm


def test_orders_keep_their_promises_under_faults(api, aws, outputs, emulator_faults, capsys):
    storm = Storm(api, emulator_faults, aws("dynamodb"), outputs["OrdersTableName"], Plan())
    report = storm.run()
    with capsys.disabled():
        print("\n" + report.summary())
    # The faults did happen, and the store answered through them.
    assert report.faults_injected > 0
    assert report.orders_placed > 0
    assert report.violations == []
