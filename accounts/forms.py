"""Page forms (Flask-WTF gives each one its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码")])


class TotpForm(FlaskForm):
    code = StringField("动态口令", validators=[DataRequired(message="请输入 6 位动态口令"),
                                            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="动态口令为 6 位数字")])


class PublicKeyForm(FlaskForm):
    label = StringField("名称", validators=[Length(max=60)])
    purpose = SelectField("用途", choices=[SelectChoice("sign", "签名（投标文件签名）"),
                                           SelectChoice("encrypt", "加密（接收密钥份额）")])
    pem = TextAreaField("公钥（PEM）", validators=[DataRequired(message="请粘贴公钥")])


class TokenForm(FlaskForm):
    name = StringField("令牌名称", validators=[DataRequired(message="请填写令牌名称"), Length(max=60)])
