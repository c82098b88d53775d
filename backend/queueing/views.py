from sanic import Blueprint

bp = Blueprint("queueing")
