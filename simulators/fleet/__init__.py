"""The fleet generator: many agents publishing reading batches over MQTT, bypassing Modbus."""
