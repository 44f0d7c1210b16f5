from flask import Blueprint

bp = Blueprint("expert_draw", __name__)
