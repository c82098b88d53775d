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


def test_latecomers_take_the_next_free_rank_and_never_reach_the_next_visit_number():
    called = natural_rank(7)
    assert check_in_rank(2, called_rank=called, taken={called}) == 7001
    assert check_in_rank(3, called_rank=called, taken={called, 7001}) == 7002
    assert check_in_rank(3, called_rank=called, taken={called, 7001, 7003}) == 7002  # the first free one
    # a latecomer's rank was called (7001): the next one still goes before visit number 8
    assert check_in_rank(4, called_rank=7001, taken=set(range(7001, 7999))) == 7999
    assert check_in_rank(4, called_rank=7001, taken=set(range(7001, 8000))) == 7999
    # even when every rank up to the next visit number is taken
    assert check_in_rank(4, called_rank=called, taken=set(range(7000, 8000))) == 7999
