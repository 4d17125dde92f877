node client.js --servers http://127.0.0.1:49847,http://127.0.0.1:39269,http://127.0.0.1:56793 --spectators 10000 --repeats 20
