from chalicelike import Chalice


def test_front_doors_agree(front_door):
    app = Chalice(app_name="smoke")

    @app.route("/items/{item_id}", methods=["GET"])
    def get_item(item_id):
        return {"id": item_id, "q": app.current_request.query_params.getlist("tag")}

    with front_door(app) as http:
        answer = http("GET", "/items/7?tag=a&tag=b")
        assert answer.status_code == 200
        assert answer.json_body == {"id": "7", "q": ["a", "b"]}
        assert answer.headers["content-type"] == "application/json"
        assert http("GET", "/nowhere").status_code == 403
