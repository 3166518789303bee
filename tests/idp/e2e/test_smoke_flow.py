def test_code_flow_smoke(flow):
    tokens = flow.tokens()
    assert tokens["token_type"] == "Bearer"
    assert "id_token" in tokens
