from flask import Blueprint

bp = Blueprint("registry_experts", __name__)
