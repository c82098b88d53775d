from sanic import Blueprint

bp = Blueprint("audit")
