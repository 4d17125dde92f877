node client.js --servers http://127.0.0.1:52237,http://127.0.0.1:48343,http://127.0.0.1:46205 --spectators 10000 --repeats 20
