"""Page forms (Flask-WTF gives each one its CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码"))])


class TotpForm(FlaskForm):
    code = StringField(_l("动态口令"), validators=[DataRequired(message=_l("请输入 6 位动态口令")),
                                               Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("动态口令为 6 位数字"))])


class PublicKeyForm(FlaskForm):
    label = StringField(_l("名称"), validators=[Length(max=60)])
    purpose = SelectField(_l("用途"), choices=[SelectChoice("sign", _l("签名（投标文件签名）")),
                                               SelectChoice("encrypt", _l("加密（接收密钥份额）"))])
    pem = TextAreaField(_l("公钥（PEM）"), validators=[DataRequired(message=_l("请粘贴公钥"))])


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[DataRequired(message=_l("请填写令牌名称")), Length(max=60)])
