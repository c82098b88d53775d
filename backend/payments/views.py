from sanic import Blueprint

bp = Blueprint("payments")
