node client.js --servers http://127.0.0.1:58849,http://127.0.0.1:54403,http://127.0.0.1:32777 --spectators 1000 --repeats 20
