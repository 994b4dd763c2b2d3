"""Sensing (智能感知): devices, the events they send over MQTT and HTTP, and what becomes of them."""
