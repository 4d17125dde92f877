node client.js --servers http://127.0.0.1:34889,http://127.0.0.1:56927,http://127.0.0.1:54621 --spectators 1000 --repeats 20
