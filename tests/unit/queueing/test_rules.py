from backend.queueing.rules import ahead, check_in_rank, natural_rank


def test_in_visit_number_order_before_their_number_is_called():
    assert check_in_rank(5, called_rank=None, taken=set()) == natural_rank(5)
    assert check_in_rank(5, called_rank=natural_rank(3), taken=set()) == natural_rank(5)


def test_latecomers_go_right_after_the_number_being_called_in_arrival_order():
    called = natural_rank(7)
    first = check_in_rank(2, called_rank=called, taken={called})
    second = check_in_rank(3, called_rank=called, taken={called, first})
    assert called < first < second < natural_rank(8)
    assert check_in_rank(7, called_rank=called, taken={called, first, second}) > second  # late for their own call


def test_ahead_counts_waiting_ranks_before_yours():
    assert ahead(5000, [1000, 3000, 5000, 7000]) == 2
    assert ahead(1000, []) == 0
