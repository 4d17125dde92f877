node client.js --servers http://127.0.0.1:56415,http://127.0.0.1:42011,http://127.0.0.1:48953 --spectators 3000 --repeats 20
