"""WeChat integrations: mini-program login and subscribe messages (wechatpy), WeChat Pay v3
(wechatpayv3), and the local stand-in that answers for WeChat in dev and test."""
